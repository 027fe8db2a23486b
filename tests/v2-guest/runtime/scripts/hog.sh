# c2: a line without end grows in memory until the OOM killer stops it.
exec tail /dev/zero
