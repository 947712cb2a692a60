namespace Merx.Storage;

/// <summary>
/// The model registry role: trained model payloads as numbered, checksummed versions with their
/// metrics. Training publishes here; the model host polls <see cref="LatestModel"/> and loads
/// payloads, so publishing a version is how a new model reaches serving.
/// </summary>
public interface IModelRegistry
{
    /// <summary>
    /// Stores the payload <paramref name="writePayload"/> writes as a new version (1, 2, … across all names).
    /// <paramref name="metricsJson"/> must be valid JSON. The payload is never held whole: past one chunk it is stored in
    /// chunks (<see cref="ModelChunks"/>), so it may be larger than one blob or one .NET array holds; the version and all
    /// its bytes commit together.
    /// </summary>
    long PublishModel(string name, Action<Stream> writePayload, string metricsJson);

    /// <summary>The newest version, of <paramref name="name"/> when given, else of any model; null when none.</summary>
    ModelVersion? LatestModel(string? name = null);

    /// <summary>All model versions, oldest first (metadata only).</summary>
    IReadOnlyList<ModelVersion> ListModels();

    /// <summary>
    /// The payload of a version as a stream that reads it a chunk at a time and checks it against its SHA-256: a mismatch
    /// throws <see cref="InvalidDataException"/> (at the latest when the last byte is read); an unknown version throws
    /// <see cref="KeyNotFoundException"/> here.
    /// </summary>
    Stream OpenModelPayload(long version);
}

/// <summary>The registry's whole-payload forms (small payloads: tests, tools), over its streaming members.</summary>
public static class ModelRegistryPayloads
{
    /// <summary>Stores a model payload as a new version (<see cref="IModelRegistry.PublishModel"/> with these bytes).</summary>
    public static long PublishModel(this IModelRegistry registry, string name, byte[] payload, string metricsJson)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return registry.PublishModel(name, s => s.Write(payload), metricsJson);
    }

    /// <summary>The payload of a version, whole, checked against its SHA-256 (<see cref="IModelRegistry.OpenModelPayload"/>'s errors); at most 2 GB.</summary>
    public static byte[] ReadModelPayload(this IModelRegistry registry, long version)
    {
        using var payload = registry.OpenModelPayload(version);
        if (payload.Length > Array.MaxLength) throw new InvalidOperationException($"model version {version} is {payload.Length:N0} bytes, more than one array holds: read it with OpenModelPayload");
        using var all = new MemoryStream((int)payload.Length);
        payload.CopyTo(all);
        return all.ToArray();
    }
}
