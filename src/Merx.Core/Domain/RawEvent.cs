namespace Merx.Core.Domain;

/// <summary>
/// One behaviour event as a shop or a data file names it (external ids). Importers and the
/// HTTP API produce these; <see cref="Data.DatasetBuilder"/> interns the ids into dense indices.
/// </summary>
/// <param name="User">External user id (pseudonymized before it reaches a store).</param>
/// <param name="Item">External item id; null only for <see cref="EventKind.Search"/>.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Timestamp">Unix seconds. Data sets without clocks (Amazon S3-Rec) use the position in the user's sequence.</param>
/// <param name="Value">Rating, quantity or price; 0 when not given.</param>
/// <param name="Session">Session id as given by the source, if any.</param>
/// <param name="Query">Search text for search events.</param>
/// <param name="Platform">Where it happened ("web", "app", "mini-program", "store"…), see <see cref="Platforms"/>; null when not given.</param>
public readonly record struct RawEvent(
    string User,
    string? Item,
    EventKind Kind,
    long Timestamp,
    float Value = 0f,
    string? Session = null,
    string? Query = null,
    string? Platform = null);
