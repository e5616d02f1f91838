"""Work that runs once per cluster: leases in Redis or the database, and jobs that hold them."""
