using System.Security.Cryptography;

namespace Skiff.Engine.Naming;

/// <summary>Docker-style container names: an adjective and a scientist's or engineer's surname.</summary>
public static class NameGenerator
{
    private static readonly string[] Adjectives =
    [
        "admiring", "agile", "amazing", "bold", "brave", "busy", "calm", "clever", "cool", "crisp",
        "curious", "dazzling", "eager", "elastic", "elegant", "epic", "fervent", "fond", "friendly", "gallant",
        "gentle", "happy", "hopeful", "jolly", "keen", "kind", "lucid", "magical", "modest", "nifty",
        "nimble", "noble", "patient", "peaceful", "quirky", "relaxed", "serene", "sharp", "silly", "stoic",
        "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly", "youthful", "zealous",
    ];

    private static readonly string[] Surnames =
    [
        "agnesi", "babbage", "bardeen", "bell", "boole", "borg", "cerf", "curie", "darwin", "dijkstra",
        "einstein", "euler", "faraday", "fermat", "feynman", "franklin", "galois", "gauss", "goldberg", "hamilton",
        "hawking", "hopper", "hypatia", "kepler", "knuth", "lamarr", "lamport", "liskov", "lovelace", "maxwell",
        "meitner", "mirzakhani", "noether", "pascal", "perlman", "ritchie", "shannon", "sinoussi", "tesla", "thompson",
        "torvalds", "turing", "wiles", "wozniak", "yalow", "yonath",
    ];

    /// <summary>A fresh name; after a clash the caller asks again with <paramref name="attempt"/> > 0, which adds a digit as Docker does.</summary>
    public static string Next(int attempt = 0)
    {
        string name = $"{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]}_{Surnames[RandomNumberGenerator.GetInt32(Surnames.Length)]}";
        return attempt == 0 ? name : name + RandomNumberGenerator.GetInt32(10);
    }

    /// <summary>A 64-hex container id.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
