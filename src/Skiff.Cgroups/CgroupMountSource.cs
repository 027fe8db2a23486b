namespace Skiff.Cgroups;

/// <summary>
/// One entry of the container's /sys/fs/cgroup: Name is the hierarchy's directory ("memory",
/// "cpu,cpuacct", "systemd"; "unified" for the v2 hierarchy on hybrid hosts, "" when v2 is all there
/// is), HostDirectory is this cgroup's directory on the host, Controllers the controllers it carries
/// (so co-mounted ones can get their "cpu" -> "cpu,cpuacct" symlinks).
/// </summary>
public sealed record CgroupMountSource(string Name, string HostDirectory, bool IsUnified, IReadOnlyList<string> Controllers);
