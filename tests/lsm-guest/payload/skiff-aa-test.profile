# The profile the guest checks put containers in: everything but /aa-secret, so a read of that
# file tells confined from unconfined.
profile skiff-aa-test flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /aa-secret rw,
}
