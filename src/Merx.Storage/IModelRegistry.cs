namespace Merx.Storage;

/// <summary>
/// The model registry role: trained model payloads as numbered, checksummed versions with their
/// metrics. Training publishes here; the model host polls <see cref="LatestModel"/> and loads
/// payloads, so publishing a version is how a new model reaches serving.
/// </summary>
public interface IModelRegistry
{
    /// <summary>Stores a model payload as a new version (1, 2, … across all names). <paramref name="metricsJson"/> must be valid JSON.</summary>
    long PublishModel(string name, byte[] payload, string metricsJson);

    /// <summary>The newest version, of <paramref name="name"/> when given, else of any model; null when none.</summary>
    ModelVersion? LatestModel(string? name = null);

    /// <summary>All model versions, oldest first (metadata only).</summary>
    IReadOnlyList<ModelVersion> ListModels();

    /// <summary>The payload of a version, checked against its SHA-256; throws <see cref="InvalidDataException"/> on mismatch and <see cref="KeyNotFoundException"/> for an unknown version.</summary>
    byte[] ReadModelPayload(long version);
}
