// A drag-and-resize grid: gridstack around NiceGUI children (the PanelGrid element, web/grid.py).
// Each child is a .grid-stack-item with gs-id/gs-x/gs-y/gs-w/gs-h attributes; the grid reports the layout
// ("layout") after every move or resize and the pixel size of every panel body ("sizes").

// gridstack's bundle, served from node_modules and named in the page's import map (vendor.py). Its modules in
// dist/ import each other without file extensions, which browsers cannot resolve; the bundle is a UMD script that,
// run as a module, exports nothing and puts GridStack on the global object
import "gridstack";

const { GridStack } = globalThis;

export default {
  template: `<div class="grid-stack"><slot></slot></div>`,
  props: {
    editable: Boolean,
    cellHeight: Number,
  },
  mounted() {
    if (!GridStack) {
      this.$el.innerText = "The grid library is not loaded: run 'npm ci' where the app is installed.";
      return;
    }
    this.grid = GridStack.init(
      {
        column: 12,
        cellHeight: this.cellHeight,
        margin: 4,
        float: false,
        animate: false,
        handle: ".panel-drag",
        disableDrag: !this.editable,
        disableResize: !this.editable,
      },
      this.$el,
    );
    this.grid.on("change", () => this.emitLayout());
    // panels added or removed while the user drags or resizes are taken in when the gesture ends
    this.grid.on("dragstart resizestart", () => (this.moving = true));
    this.grid.on("dragstop", () => this.endGesture());
    this.grid.on("resizestop", () => this.endGesture());
    this.observer = new ResizeObserver(() => this.scheduleSizes());
    this.observer.observe(this.$el);
    this.emitSizes();
  },
  updated() {
    this.sync();
  },
  beforeUnmount() {
    this.observer?.disconnect();
    this.grid?.destroy(false);
  },
  methods: {
    items() {
      // the panels, not gridstack's drop placeholder
      return Array.from(this.$el.children).filter((el) => el.hasAttribute("gs-id"));
    },
    sync() {
      // Vue re-renders this component whenever a panel inside changes; only added or removed panels matter here
      if (!this.grid || this.moving) return;
      const present = this.items();
      // during a drag or resize the engine also holds gridstack's placeholder, which has no gs-id
      const known = this.grid.engine.nodes.map((node) => node.el).filter((el) => el?.hasAttribute("gs-id"));
      const added = present.filter((el) => !el.gridstackNode);
      const removed = known.filter((el) => !present.includes(el));
      if (!added.length && !removed.length) return;
      this.grid.batchUpdate();
      try {
        for (const el of removed) this.grid.removeWidget(el, false, false);
        for (const el of added) this.grid.makeWidget(el);
      } finally {
        this.grid.batchUpdate(false);
      }
      this.scheduleSizes();
    },
    endGesture() {
      this.moving = false;
      // after gridstack's own change event; the server ignores a layout it already saved
      setTimeout(() => {
        this.sync();
        this.emitLayout();
        this.emitSizes();
      }, 0);
    },
    emitLayout() {
      const layout = this.grid.engine.nodes
        .filter((n) => n.id !== undefined && n.el?.hasAttribute("gs-id"))
        .map((n) => ({ id: n.id, x: n.x, y: n.y, w: n.w, h: n.h }));
      this.$emit("layout", layout);
    },
    emitSizes() {
      const sizes = {};
      for (const el of this.items()) {
        const body = el.querySelector(".panel-body") || el;
        sizes[el.getAttribute("gs-id")] = [Math.round(body.clientWidth), Math.round(body.clientHeight)];
      }
      // before the first layout pass the panels have no width yet; the resize observer reports again
      if (Object.values(sizes).some(([width, height]) => !width || !height)) return;
      const text = JSON.stringify(sizes);
      if (text === this.lastSizes) return;
      this.lastSizes = text;
      this.$emit("sizes", sizes);
    },
    scheduleSizes() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.emitSizes(), 200);
    },
  },
};
