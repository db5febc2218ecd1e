"""Pure ECharts option builders, one module per chart type; the UI only places what they return."""
