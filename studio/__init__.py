"""Label Studio as this project speaks to it: the connection, the labelling config, task and prediction shapes."""
