using System.Net;
using System.Security.Cryptography;
using System.Text;
using Skiff.Engine.Store;
using Skiff.Images.Fs;

namespace Skiff.Engine.Network;

/// <summary>What <c>network create</c> asks for; empty lists mean "choose for me".</summary>
public sealed class NetworkCreateRequest
{
    public string Name { get; set; } = "";
    public string Driver { get; set; } = "bridge";
    public List<string> Subnets { get; set; } = [];
    public List<string> Gateways { get; set; } = [];
    public List<string> IpRanges { get; set; } = [];
    public bool Internal { get; set; }
    public bool Ipv6 { get; set; }
    public bool DisableDns { get; set; }
    public Dictionary<string, string> Options { get; set; } = [];
    public Dictionary<string, string> Labels { get; set; } = [];
}

/// <summary>
/// The engine's networks: creation (choosing a free subnet and a bridge name of its own), lookup,
/// removal and prune. The default <c>bridge</c> network is made the first time anything asks, so
/// it exists from the start. Subnets avoid the host's routes and the engine's other networks;
/// an engine with a root other than the default starts its search at a point derived from the
/// root, so that two engines (two test roots) rarely pick the same one.
/// </summary>
public sealed class NetworkStore
{
    public const string DefaultName = "bridge";
    private const string DefaultRoot = "/var/lib/skiff";

    private readonly EngineLayout _layout;
    private readonly EngineDatabase _database;

    public NetworkStore(EngineLayout layout, EngineDatabase database, INetworkBackend backend)
    {
        _layout = layout;
        _database = database;
        Backend = backend;
        if (_database.ResolveNetwork(DefaultName) is null) CreateDefault();
    }

    public INetworkBackend Backend { get; }

    public List<NetworkDefinition> List() => _database.ListNetworks();

    public NetworkDefinition Resolve(string reference) =>
        _database.ResolveNetwork(reference) ?? throw new EngineException($"network {reference} not found");

    public NetworkDefinition? Find(string id) => _database.FindNetwork(id);

    public NetworkDefinition Create(NetworkCreateRequest request)
    {
        if (request.Name.Length == 0) throw new EngineException("network create: a network name is required");
        if (!NameIsValid(request.Name)) throw new EngineException($"network name {request.Name}: invalid, only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        if (request.Name is "host" or "none" || request.Name.StartsWith("container:", StringComparison.Ordinal))
            throw new EngineException($"network name {request.Name} is reserved for --network {request.Name}");
        using FileLock guard = FileLock.Exclusive(Path.Combine(_layout.Locks, "networks"));
        if (_database.ResolveNetwork(request.Name) is { } existing && existing.Name == request.Name)
            throw new EngineException($"network with name {request.Name} already exists", 1);
        NetworkDefinition network = Build(request);
        Backend.Validate(network);
        if (!_database.InsertNetwork(network)) throw new EngineException($"network with name {request.Name} already exists", 1);
        return network;
    }

    /// <summary>
    /// Removes an unused network; the default one stays, as Docker's pre-defined networks do. The
    /// check, the backend's removal and the row's deletion are one transaction, so a container
    /// created or connected meanwhile is either refused ("not found") or keeps the network.
    /// </summary>
    public void Remove(NetworkDefinition network)
    {
        if (network.Name == DefaultName) throw new EngineException($"{DefaultName} is a pre-defined network and cannot be removed", 1);
        List<string> users = _database.DeleteUnusedNetwork(network.Id, () => Backend.Remove(network));
        if (users.Count > 0)
            throw new EngineException($"error while removing network: network {network.Name} id {network.Id} has active endpoints (containers {string.Join(", ", users.Select(u => u[..12]))})", 1);
    }

    /// <summary>Whether any container asked for the network.</summary>
    public bool InUse(NetworkDefinition network) => _database.NetworkUsers(network.Id).Count > 0;

    private void CreateDefault()
    {
        using FileLock guard = FileLock.Exclusive(Path.Combine(_layout.Locks, "networks"));
        if (_database.ResolveNetwork(DefaultName) is not null) return;
        // Docker's default bridge: no name resolution between its containers.
        NetworkDefinition network = Build(new NetworkCreateRequest { Name = DefaultName, DisableDns = true });
        _database.InsertNetwork(network);
    }

    private NetworkDefinition Build(NetworkCreateRequest request)
    {
        if (request.Driver is not ("bridge" or "macvlan" or "ipvlan"))
            throw new EngineException($"network create: driver \"{request.Driver}\" is unknown (bridge, macvlan or ipvlan)");
        List<NetworkDefinition> others = _database.ListNetworks();
        List<SubnetDefinition> subnets = [];
        for (int i = 0; i < request.Subnets.Count; i++)
        {
            IPNetwork subnet = Cidr.Parse(request.Subnets[i], "subnet");
            foreach (NetworkDefinition other in others)
                foreach (SubnetDefinition taken in other.Subnets)
                    if (Cidr.Overlaps(subnet, IPNetwork.Parse(taken.Subnet)))
                        throw new EngineException($"subnet {subnet} overlaps subnet {taken.Subnet} of network {other.Name}", 1);
            string gateway = i < request.Gateways.Count ? Gateway(subnet, request.Gateways[i]) : Cidr.Nth(subnet, 1).ToString();
            string? range = i < request.IpRanges.Count ? IpRange(subnet, request.IpRanges[i]) : null;
            subnets.Add(new SubnetDefinition(subnet.ToString(), request.Internal && request.Driver != "bridge" ? "" : gateway, range));
        }
        if (request.Gateways.Count > request.Subnets.Count) throw new EngineException("--gateway: every gateway needs a --subnet of its own");
        if (request.IpRanges.Count > request.Subnets.Count) throw new EngineException("--ip-range: every range needs a --subnet of its own");
        bool ipv6 = request.Ipv6 || subnets.Any(s => !Cidr.IsV4(IPNetwork.Parse(s.Subnet)));
        if (!subnets.Any(s => Cidr.IsV4(IPNetwork.Parse(s.Subnet))))
        {
            IPNetwork free = FreeV4Subnet(others, request.Name == DefaultName);
            subnets.Insert(0, new SubnetDefinition(free.ToString(), Cidr.Nth(free, 1).ToString(), null));
        }
        if (ipv6 && !subnets.Any(s => !Cidr.IsV4(IPNetwork.Parse(s.Subnet))))
        {
            IPNetwork free = FreeV6Subnet(others, request.Name);
            subnets.Add(new SubnetDefinition(free.ToString(), Cidr.Nth(free, 1).ToString(), null));
        }
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string? named = null;
        string link = request.Driver == "bridge"
            ? request.Options.Remove("com.docker.network.bridge.name", out named) ? named : BridgeName(others)
            : request.Options.Remove("parent", out string? parent) ? parent : DefaultParent();
        if (request.Driver != "bridge" && !Directory.Exists($"/sys/class/net/{link}"))
            throw new EngineException($"network create: parent interface {link} does not exist");
        // A named bridge that exists now is the host's, as Docker treats it: it outlives the network.
        bool hostBridge = named is not null && Directory.Exists($"/sys/class/net/{named}");
        return new NetworkDefinition(id, request.Name, request.Driver, link, subnets, request.Internal, ipv6,
            !request.DisableDns, new Dictionary<string, string>(request.Options), new Dictionary<string, string>(request.Labels), DateTimeOffset.UtcNow, hostBridge);
    }

    private static string Gateway(IPNetwork subnet, string text)
    {
        IPAddress gateway = Cidr.ParseAddress(text, "--gateway");
        if (!subnet.Contains(gateway)) throw new EngineException($"--gateway {text}: not in subnet {subnet}");
        return gateway.ToString();
    }

    private static string IpRange(IPNetwork subnet, string text)
    {
        IPNetwork range = Cidr.Parse(text, "--ip-range");
        if (Cidr.First(range) < Cidr.First(subnet) || Cidr.Last(range) > Cidr.Last(subnet))
            throw new EngineException($"--ip-range {text}: not inside subnet {subnet}");
        return range.ToString();
    }

    /// <summary>A /24 under 10.90.0.0/15 … 10.255.255.0/24 that no host route and no network of ours covers.</summary>
    private IPNetwork FreeV4Subnet(List<NetworkDefinition> others, bool isDefault)
    {
        List<IPNetwork> taken = [.. Cidr.HostRoutes(), .. others.SelectMany(o => o.Subnets).Select(s => IPNetwork.Parse(s.Subnet))];
        const int first = 90 << 8, count = (256 - 90) << 8;
        int start = _layout.Root == DefaultRoot ? (isDefault ? 0 : 1) : (int)(Seed(_layout.Root) % count);
        for (int i = 0; i < count; i++)
        {
            int n = first + (start + i) % count;
            IPNetwork candidate = new(new IPAddress([10, (byte)(n >> 8), (byte)(n & 0xff), 0]), 24);
            if (!taken.Any(t => Cidr.Overlaps(t, candidate))) return candidate;
        }
        throw new EngineException("network create: no free subnet left; give one with --subnet");
    }

    /// <summary>A unique-local /64 derived from the root and the network's name.</summary>
    private static IPNetwork FreeV6Subnet(List<NetworkDefinition> others, string name)
    {
        List<IPNetwork> taken = [.. Cidr.HostRoutes(), .. others.SelectMany(o => o.Subnets).Select(s => IPNetwork.Parse(s.Subnet))];
        for (int salt = 0; ; salt++)
        {
            byte[] bytes = new byte[16];
            bytes[0] = 0xfd;
            SHA256.HashData(Encoding.UTF8.GetBytes($"{name}/{salt}/{Guid.NewGuid()}")).AsSpan(0, 7).CopyTo(bytes.AsSpan(1));
            IPNetwork candidate = new(new IPAddress(bytes), 64);
            if (!taken.Any(t => Cidr.Overlaps(t, candidate))) return candidate;
        }
    }

    /// <summary>skiff0, skiff1, … for the default root; sk + six hex digits of the root + n for others.</summary>
    private string BridgeName(List<NetworkDefinition> others)
    {
        string prefix = _layout.Root == DefaultRoot ? "skiff" : "sk" + (Seed(_layout.Root) & 0xffffff).ToString("x6", System.Globalization.CultureInfo.InvariantCulture);
        for (int n = 0; ; n++)
        {
            string name = prefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (others.Any(o => o.InterfaceName == name) || Directory.Exists($"/sys/class/net/{name}")) continue;
            return name;
        }
    }

    /// <summary>The link the host's default route leaves through: macvlan's natural parent.</summary>
    private static string DefaultParent()
    {
        foreach (string line in File.ReadLines("/proc/net/route").Skip(1))
        {
            string[] f = line.Split('\t', StringSplitOptions.TrimEntries);
            if (f.Length > 7 && f[1] == "00000000" && f[7] == "00000000") return f[0];
        }
        throw new EngineException("network create: the host has no default route; name the parent interface with -o parent=IFACE");
    }

    private static uint Seed(string text) => BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);

    public static bool NameIsValid(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');
}
