namespace Skiff.Images;

/// <summary>A failure whose Message is the one-line error a user sees: the thing, then the reason.</summary>
public class ImageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An image, tag or blob that does not exist (the CLI maps it to Docker's "No such image").</summary>
public sealed class ImageNotFoundException(string message) : ImageException(message);
