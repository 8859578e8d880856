"""Read, validate and geocode official GP practice data, and select footprints."""
