import SlotCLI

Slotctl.main(arguments: Array(CommandLine.arguments.dropFirst()))
