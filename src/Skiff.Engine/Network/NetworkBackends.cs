using Skiff.Engine.Config;
using Skiff.Engine.Network.Netavark;

namespace Skiff.Engine.Network;

/// <summary>The backend the engine config's <c>network_backend</c> names.</summary>
public static class NetworkBackends
{
    public static INetworkBackend Create(EngineConfig config, EngineLayout layout) => config.NetworkBackend switch
    {
        "netavark" or "" => new NetavarkBackend(config, layout),
        "cni" => new Cni.CniBackend(config, layout),
        string other => throw new EngineException($"engine config: network_backend \"{other}\" is unknown (netavark or cni)"),
    };
}
