"""Demo town data and the seed command."""
