using System.Text.Json;
using Skiff.Images.Fs;

namespace Skiff.Images.Store;

/// <summary>
/// images.json, read under a shared flock and rewritten (temp file, fsync, rename) under an
/// exclusive one. Chosen over SQLite by measurement (bench/pull/README.md): Microsoft.Data.Sqlite
/// does run under NativeAOT here, but needs libe_sqlite3.so (1.4 MB) shipped beside the binary, and
/// reading 1000 rows cost it about 4 ms in-process; with 1000 images, `skiff images -q` takes 15 ms
/// against 8 ms with one image, and a typical store of tens of images costs well under 1 ms.
/// </summary>
public sealed class MetadataStore(StoreLayout layout)
{
    public ImageRecordsFile Read()
    {
        using FileLock _ = FileLock.Shared(layout.MetadataLock);
        return Load();
    }

    /// <summary>Read, change and write back in one critical section; the change may throw to abort.</summary>
    public T Update<T>(Func<ImageRecordsFile, T> change)
    {
        using FileLock _ = FileLock.Exclusive(layout.MetadataLock);
        ImageRecordsFile records = Load();
        T result = change(records);
        Save(records);
        return result;
    }

    private ImageRecordsFile Load()
    {
        try
        {
            using FileStream file = File.OpenRead(layout.ImagesFile);
            return JsonSerializer.Deserialize(file, StoreJsonContext.Relaxed.ImageRecordsFile) ?? new ImageRecordsFile();
        }
        catch (FileNotFoundException)
        {
            return new ImageRecordsFile();
        }
        catch (JsonException e)
        {
            throw new ImageException($"store {layout.ImagesFile}: corrupt metadata: {e.Message}", e);
        }
    }

    private void Save(ImageRecordsFile records)
    {
        string temporary = layout.ImagesFile + ".tmp";
        using (FileStream file = new(temporary, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, records, StoreJsonContext.Relaxed.ImageRecordsFile);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, layout.ImagesFile, overwrite: true);
    }
}
