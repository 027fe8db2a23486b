using Skiff.Engine.Containers;
using Skiff.Engine.Inspect;
using Skiff.Engine.Store;

namespace Skiff.Engine.Network;

/// <summary>One network of a container as Docker's inspect shows it under NetworkSettings.Networks.</summary>
public sealed class InspectEndpoint
{
    public List<string>? Aliases { get; set; }
    public string NetworkID { get; set; } = "";
    public string EndpointID { get; set; } = "";
    public string Gateway { get; set; } = "";
    public string IPAddress { get; set; } = "";
    public int IPPrefixLen { get; set; }
    public string IPv6Gateway { get; set; } = "";
    public string GlobalIPv6Address { get; set; } = "";
    public int GlobalIPv6PrefixLen { get; set; }
    public string MacAddress { get; set; } = "";
}

/// <summary>A container's NetworkSettings, HostConfig.NetworkMode and the rows of <c>port</c> and <c>ps</c>, from its current run.</summary>
public static class NetworkSettingsView
{
    public static string Mode(ContainerRecord record) => record.Request.Network switch
    {
        null => "none",
        { Mode: { } mode } => mode,
        { Networks: [] } => NetworkStore.DefaultName,
        { Networks: var networks } => networks[0].Name,
    };

    public static InspectNetworkSettings Settings(ContainerEngine engine, ContainerRecord record)
    {
        InspectNetworkSettings settings = new();
        NetworkRun? run = engine.Database.FindNetworkRun(record.Id);
        bool running = record.State.Status is ContainerStatus.Running or ContainerStatus.Paused;
        settings.SandboxKey = running && run is not null ? run.Netns : "";
        foreach (PortMapping port in running ? engine.Networking.PublishedPorts(record.Id) : [])
            for (int i = 0; i < port.Range; i++)
            {
                string key = $"{port.ContainerPort + i}/{port.Protocol}";
                if (!settings.Ports.TryGetValue(key, out List<PortBinding>? bindings) || bindings is null) settings.Ports[key] = bindings = [];
                bindings.Add(new PortBinding { HostIp = port.HostIp.Length > 0 ? port.HostIp : "0.0.0.0", HostPort = (port.HostPort + i).ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        foreach (string exposed in record.Request.Network?.Expose ?? [])
            settings.Ports.TryAdd(exposed, null);
        foreach (ContainerNetwork row in engine.Database.ContainerNetworks(record.Id))
        {
            NetworkDefinition? network = engine.Database.FindNetwork(row.NetworkId);
            if (network is null) continue;
            InspectEndpoint endpoint = new() { NetworkID = network.Id, Aliases = [.. row.Aliases] };
            if (running && run?.Setup?.Networks.FirstOrDefault(a => a.Network.Id == network.Id) is { } attachment)
            {
                endpoint.EndpointID = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(record.Id + network.Id)));
                endpoint.Aliases = [.. attachment.Aliases.Where(a => a != record.Name)];
                foreach (string address in attachment.Addresses)
                {
                    string bare = address[..address.IndexOf('/')];
                    int prefix = int.Parse(address[(address.IndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                    SubnetDefinition? subnet = network.Subnets.FirstOrDefault(s => System.Net.IPNetwork.Parse(s.Subnet).Contains(System.Net.IPAddress.Parse(bare)));
                    if (bare.Contains(':'))
                    {
                        endpoint.GlobalIPv6Address = bare;
                        endpoint.GlobalIPv6PrefixLen = prefix;
                        endpoint.IPv6Gateway = subnet?.Gateway ?? "";
                    }
                    else
                    {
                        endpoint.IPAddress = bare;
                        endpoint.IPPrefixLen = prefix;
                        endpoint.Gateway = subnet?.Gateway ?? "";
                    }
                }
                endpoint.MacAddress = run.Status?.Interfaces.FirstOrDefault(i => i.NetworkName == network.Name)?.MacAddress ?? attachment.MacAddress ?? "";
            }
            settings.Networks[network.Name] = endpoint;
        }
        // The top-level fields describe the primary network, as Docker's do.
        if (settings.Networks.Values.FirstOrDefault() is { } primary)
        {
            settings.IPAddress = primary.IPAddress;
            settings.IPPrefixLen = primary.IPPrefixLen;
            settings.Gateway = primary.Gateway;
            settings.MacAddress = primary.MacAddress;
        }
        return settings;
    }

    /// <summary>ps's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:9000->9000/udp".</summary>
    public static string PortsColumn(ContainerEngine engine, ContainerRecord record) =>
        record.State.Status is ContainerStatus.Running or ContainerStatus.Paused
            ? string.Join(", ", engine.Networking.PublishedPorts(record.Id).Select(p => p.Range == 1
                ? $"{(p.HostIp.Length > 0 ? p.HostIp : "0.0.0.0")}:{p.HostPort}->{p.ContainerPort}/{p.Protocol}"
                : $"{(p.HostIp.Length > 0 ? p.HostIp : "0.0.0.0")}:{p.HostPort}-{p.HostPort + p.Range - 1}->{p.ContainerPort}-{p.ContainerPort + p.Range - 1}/{p.Protocol}"))
            : "";
}
