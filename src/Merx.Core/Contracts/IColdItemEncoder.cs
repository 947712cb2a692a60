namespace Merx.Core.Contracts;

/// <summary>
/// A user encoder that can place an item it was not trained on from the item's pre-trained text
/// vector, in the space of its own item vectors (issue #21: a new catalog item enters the serving
/// item index without retraining).
/// </summary>
public interface IColdItemEncoder
{
    /// <summary>The id of the text encoder whose vectors the model reads (<see cref="Data.PretrainedVectors.EncoderId"/>); null when it reads none.</summary>
    string? TextEncoder { get; }

    /// <summary>Writes the item vector (d) of an item with text vector <paramref name="text"/>; false when the model reads no text.</summary>
    bool ItemVectorFromText(ReadOnlySpan<float> text, Span<float> vector);
}
