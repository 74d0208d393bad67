"""The local stack: Label Studio and the ML backend as child processes on this machine."""
