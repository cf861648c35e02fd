"""Land-use analyses: 亩均效益 performance, intensity, idle land, exit mechanism."""
