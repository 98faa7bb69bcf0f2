"""What two or more tools share: config, output, state, HTTP, paths, time. Imports no tool."""
