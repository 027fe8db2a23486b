using Skiff.Images.Mounts;
using Skiff.Images.Store;

namespace Skiff.Images.Tests.Snapshots;

/// <summary>The conformance suite against the overlay snapshotter of a private store root, on this kernel.</summary>
public sealed class OverlaySnapshotterTests : SnapshotterConformance
{
    protected override ISnapshotter Snapshotter { get; }

    public OverlaySnapshotterTests()
    {
        StoreLayout layout = new(Scratch.Combine("root"));
        layout.EnsureCreated();
        Snapshotter = new OverlaySnapshotter(layout);
    }
}
