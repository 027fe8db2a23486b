using System.Text.Json;
using Skiff.Oci.Runtime;

namespace Skiff.Seccomp.Tests;

/// <summary>Profiles written the way users write them: the JSON of config.json's linux.seccomp.</summary>
public static class Profiles
{
    public static Oci.Runtime.Seccomp Parse(string json) =>
        JsonSerializer.Deserialize(json, OciJsonContext.Default.Seccomp) ?? throw new InvalidOperationException("null profile");

    public static SeccompProgram Compile(string json)
    {
        SeccompProgram program = SeccompCompiler.Compile(Parse(json));
        BpfInterpreter.Verify(program.Filter);
        return program;
    }

    public static SeccompProgram Compile(Oci.Runtime.Seccomp spec)
    {
        SeccompProgram program = SeccompCompiler.Compile(spec);
        BpfInterpreter.Verify(program.Filter);
        return program;
    }

    public static uint Run(this SeccompProgram program, SeccompData data) => BpfInterpreter.Run(program.Filter, data);
}
