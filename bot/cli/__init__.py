"""The `binhdan` command line: parsing, the sub-commands, the demo and the playground runner."""
