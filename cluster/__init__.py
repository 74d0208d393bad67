"""Running the heavy stages past one machine: the Ray engine shared by the importer and the ML backend."""
