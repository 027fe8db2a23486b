namespace Skiff.Images.Transfer;

/// <summary>The per-layer states Docker shows during pull and push.</summary>
public enum LayerState
{
    Waiting, PullingFsLayer, Downloading, VerifyingChecksum, DownloadComplete, Extracting, PullComplete, AlreadyExists,
    Preparing, Pushing, Pushed, LayerAlreadyExists, Mounted,
}

/// <summary>Receives transfer progress; the CLI draws it, tests and the engine may ignore it.</summary>
public interface ITransferProgress
{
    /// <param name="id">The layer's short id (12 hex digits of its digest).</param>
    void Layer(string id, LayerState state, long current = 0, long total = 0);

    /// <summary>A whole line of status ("Digest: ...", "Status: ...").</summary>
    void Message(string line);
}

public sealed class NullProgress : ITransferProgress
{
    public static readonly NullProgress Instance = new();
    public void Layer(string id, LayerState state, long current = 0, long total = 0) { }
    public void Message(string line) { }
}
