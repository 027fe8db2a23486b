namespace Skiff.Engine.Network;

/// <summary>The networking half of <c>create</c>/<c>run</c>, kept in the container's request.</summary>
public sealed class NetworkRequest
{
    /// <summary>none, host, container:ID, or null: the <see cref="Networks"/> (the default network when empty).</summary>
    public string? Mode { get; set; }
    public List<NetworkChoice> Networks { get; set; } = [];
    public List<string> Dns { get; set; } = [];
    public List<string> DnsSearch { get; set; } = [];
    public List<string> DnsOptions { get; set; } = [];
    /// <summary>--add-host NAME:IP (IP may be host-gateway).</summary>
    public List<string> ExtraHosts { get; set; } = [];
    public List<PortRequest> Ports { get; set; } = [];
    /// <summary>-P: every exposed port (the image's and --expose's) on a free host port.</summary>
    public bool PublishAll { get; set; }
    /// <summary>--expose, as PORT/PROTO.</summary>
    public List<string> Expose { get; set; } = [];

    public bool IsNone => Mode == "none";
    public bool IsHost => Mode == "host";
    public string? SharedWith => Mode is { } m && m.StartsWith("container:", StringComparison.Ordinal) ? m[10..] : null;
}

/// <summary>One network a container joins, with what was asked for it.</summary>
public sealed class NetworkChoice
{
    public string Name { get; set; } = "";
    public List<string> Aliases { get; set; } = [];
    public string? Ipv4 { get; set; }
    public string? Ipv6 { get; set; }
    public string? Mac { get; set; }
}

/// <summary>One -p: <see cref="HostPort"/> 0 means "a free one, chosen at start".</summary>
public sealed class PortRequest
{
    public string HostIp { get; set; } = "";
    public ushort HostPort { get; set; }
    /// <summary>The last port of a host range given for one container port (Docker takes the first free one); 0 without.</summary>
    public ushort HostPortEnd { get; set; }
    public ushort ContainerPort { get; set; }
    public ushort Range { get; set; } = 1;
    public string Protocol { get; set; } = "tcp";
}
