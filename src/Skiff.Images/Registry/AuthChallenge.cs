namespace Skiff.Images.Registry;

/// <summary>A WWW-Authenticate challenge: its scheme and parameters (realm, service, scope, error).</summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");
    public string? Scope => Parameters.GetValueOrDefault("scope");

    /// <summary>Parses the first challenge of a header value: Scheme key="value", key=token, ...</summary>
    public static AuthChallenge? Parse(string? header)
    {
        if (string.IsNullOrWhiteSpace(header)) return null;
        string text = header.Trim();
        int space = text.IndexOf(' ');
        string scheme = space < 0 ? text : text[..space];
        Dictionary<string, string> parameters = new(StringComparer.OrdinalIgnoreCase);
        int i = space < 0 ? text.Length : space + 1;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ',')) i++;
            int equals = text.IndexOf('=', i);
            if (equals < 0) break;
            string key = text[i..equals].Trim();
            i = equals + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                System.Text.StringBuilder builder = new();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    builder.Append(text[i++]);
                }
                i++;
                value = builder.ToString();
            }
            else
            {
                int end = text.IndexOf(',', i);
                if (end < 0) end = text.Length;
                value = text[i..end].Trim();
                i = end;
            }
            parameters[key] = value;
        }
        return new AuthChallenge(scheme, parameters);
    }
}
