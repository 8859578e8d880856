"""Many plans on Dask: every footprint of a partition as its own task, resumable, merged."""
