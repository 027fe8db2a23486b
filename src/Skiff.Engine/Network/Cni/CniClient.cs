using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skiff.Engine.Network.Cni;

/// <summary>
/// Runs a network configuration list the way the CNI 1.0 spec prescribes: ADD through the plugins
/// in order, each given the previous one's result; CHECK in order and DEL in reverse, each given
/// the cached ADD result; a failed ADD undone by a DEL of the whole list.
/// </summary>
internal sealed class CniClient(CniPluginRunner runner, CniResultCache cache)
{
    public CniResultCache Cache { get; } = cache;

    /// <summary>Adds the container to the network; returns the final result, which is also cached.</summary>
    public CniResult Add(CniNetworkList list, CniRuntime runtime, JsonObject capabilityArgs)
    {
        JsonObject? previous = null;
        try
        {
            foreach (JsonObject plugin in list.Plugins)
            {
                JsonObject config = Derive(list, plugin, capabilityArgs, previous);
                string output = runner.Run(CniCommand.Add, runtime, config, list.Name);
                previous = JsonNode.Parse(output) as JsonObject
                    ?? throw new EngineException($"CNI plugin \"{plugin["type"]}\" for network \"{list.Name}\" returned no result object on ADD");
            }
        }
        catch (Exception)
        {
            // The spec's recovery from a failed ADD: DEL through every plugin, called or not.
            try { RunDel(list, runtime, capabilityArgs, previous); }
            catch (EngineException)
            {
                // The ADD's error is the one the user needs; a plugin that cannot undo what it never
                // did is expected here.
            }
            throw;
        }
        JsonObject final = previous ?? new JsonObject { ["cniVersion"] = list.CniVersion };
        Cache.Write(new CniCacheEntry
        {
            ContainerId = runtime.ContainerId,
            IfName = runtime.IfName,
            NetworkName = list.Name,
            CniArgs = runtime.Args.Select(a => new[] { a.Key, a.Value }).ToList(),
            RuntimeConfig = (JsonObject)capabilityArgs.DeepClone(),
            Config = list.ToJson(),
            Result = (JsonObject)final.DeepClone(),
        });
        return Parse(final, list.Name);
    }

    /// <summary>Asks every plugin whether what ADD made is still in place; throws the first plugin's complaint.</summary>
    public void Check(CniNetworkList list, CniRuntime runtime)
    {
        CniCacheEntry entry = Cache.Read(list.Name, runtime.ContainerId, runtime.IfName)
            ?? throw new EngineException($"network \"{list.Name}\": no cached CNI result for container {runtime.ContainerId} interface {runtime.IfName} to check against");
        CniNetworkList used = CniNetworkList.FromJson(entry.Config, list.Name);
        if (used.DisableCheck) return;
        CniRuntime cached = runtime with { Args = ArgsOf(entry) };
        foreach (JsonObject plugin in used.Plugins)
            runner.Run(CniCommand.Check, cached, Derive(used, plugin, entry.RuntimeConfig, entry.Result), used.Name);
    }

    /// <summary>
    /// Removes the container from the network. The cached ADD (configuration, arguments and result)
    /// drives it when there is one; a second DEL, or one after a lost cache, runs with what it is given.
    /// Returns the list the ADD ran with, or null when no ADD was cached.
    /// </summary>
    public CniNetworkList? Delete(CniNetworkList list, CniRuntime runtime, JsonObject capabilityArgs)
    {
        CniCacheEntry? entry = Cache.Read(list.Name, runtime.ContainerId, runtime.IfName);
        if (entry is null)
        {
            RunDel(list, runtime, capabilityArgs, null);
            return null;
        }
        CniNetworkList used = CniNetworkList.FromJson(entry.Config, list.Name);
        RunDel(used, runtime with { Args = ArgsOf(entry) }, entry.RuntimeConfig, entry.Result);
        Cache.Delete(list.Name, runtime.ContainerId, runtime.IfName);
        return used;
    }

    /// <summary>
    /// DEL in reverse order, every plugin's even after one fails (unlike libcni, which stops): a
    /// later plugin that never ran may refuse, and the earlier ones must still undo what they did.
    /// The first failure is thrown at the end.
    /// </summary>
    private void RunDel(CniNetworkList list, CniRuntime runtime, JsonObject capabilityArgs, JsonObject? result)
    {
        Exception? first = null;
        for (int i = list.Plugins.Count - 1; i >= 0; i--)
        {
            try
            {
                runner.Run(CniCommand.Del, runtime, Derive(list, list.Plugins[i], capabilityArgs, result), list.Name);
            }
            catch (EngineException e)
            {
                first ??= e;
            }
        }
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
    }

    /// <summary>
    /// The configuration one plugin receives: its own object with the list's name and cniVersion, a
    /// runtimeConfig holding only the capabilities it declares, and the previous result.
    /// </summary>
    internal static JsonObject Derive(CniNetworkList list, JsonObject plugin, JsonObject capabilityArgs, JsonObject? previousResult)
    {
        JsonObject config = (JsonObject)plugin.DeepClone();
        config["cniVersion"] = list.CniVersion;
        config["name"] = list.Name;
        JsonObject runtimeConfig = [];
        if (plugin["capabilities"] is JsonObject capabilities)
        {
            foreach ((string name, JsonNode? enabled) in capabilities)
            {
                if (enabled is JsonValue value && value.TryGetValue(out bool on) && on && capabilityArgs[name] is { } argument)
                    runtimeConfig[name] = argument.DeepClone();
            }
        }
        if (runtimeConfig.Count > 0) config["runtimeConfig"] = runtimeConfig;
        if (previousResult is not null) config["prevResult"] = previousResult.DeepClone();
        return config;
    }

    private static List<KeyValuePair<string, string>> ArgsOf(CniCacheEntry entry) =>
        entry.CniArgs.Where(a => a.Length == 2).Select(a => new KeyValuePair<string, string>(a[0], a[1])).ToList();

    private static CniResult Parse(JsonObject result, string network)
    {
        try
        {
            return result.Deserialize(CniJsonContext.Default.CniResult) ?? new CniResult();
        }
        catch (JsonException e)
        {
            throw new EngineException($"network \"{network}\": the CNI result is not a CNI 1.0 result: {e.Message}");
        }
    }
}
