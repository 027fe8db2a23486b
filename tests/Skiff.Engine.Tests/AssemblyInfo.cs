using System.Runtime.Versioning;

// Containers are a Linux thing; so are these tests.
[assembly: SupportedOSPlatform("linux")]
