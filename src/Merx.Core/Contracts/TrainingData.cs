using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;

namespace Merx.Core.Contracts;

/// <summary>
/// What a model is fitted on: the training sequences (per user, oldest first), the catalog
/// aligned with item indices, and the validation queries used for early stopping and tuning.
/// The interaction matrix and item features are derived on first use and shared by all models.
/// </summary>
public sealed class TrainingData
{
    private SparseMatrix? _matrix;
    private ItemFeatures? _features;
    private ItemFeatures? _featuresWithText;

    public TrainingData(UserSequences train, IReadOnlyList<Item?>? catalog = null, IReadOnlyList<EvalCase>? validation = null, EventKindWeights? weights = null, ItemFeatures? features = null)
    {
        Train = train;
        Catalog = catalog ?? new Item?[train.ItemCount];
        if (Catalog.Count != train.ItemCount) throw new ArgumentException("catalog must have one entry per item", nameof(catalog));
        Validation = validation ?? [];
        Weights = weights ?? EventKindWeights.Default;
        _features = features;
    }

    public UserSequences Train { get; }
    public IReadOnlyList<Item?> Catalog { get; }
    public IReadOnlyList<EvalCase> Validation { get; }
    public EventKindWeights Weights { get; }
    public int UserCount => Train.UserCount;
    public int ItemCount => Train.ItemCount;

    /// <summary>The weighted user×item training matrix.</summary>
    public SparseMatrix Matrix => _matrix ??= SparseMatrix.FromSequences(Train, Weights);

    /// <summary>Structured item side information (category, brand, shop, price band, tags, attributes).</summary>
    public ItemFeatures Features => _features ??= ItemFeatures.FromCatalog(Catalog);

    /// <summary>
    /// Item text vectors from a pre-trained encoder (aligned with item indices), or null when none
    /// were computed (no text in the catalog, or no model asked for them). Models that use them
    /// (the text content model, the Transformer) must behave exactly as without when this is null.
    /// </summary>
    public PretrainedVectors? Text { get; init; }

    /// <summary>
    /// The items that reached the catalog too late for the training data to show whether users take them (new arrivals).
    /// A model that places untrained items by their text lifts only these (the Transformer's cold-item boost): an untrained
    /// item outside the set was on offer and nobody took it. Null: no arrival information, every untrained item may be new.
    /// </summary>
    public IReadOnlySet<int>? NewArrivals { get; init; }

    /// <summary>
    /// A live catalog's new arrivals at <paramref name="now"/>: the items created within <see cref="Item.NewForDays"/>, and
    /// those of unknown age. Null when no item is known to be older (no arrival information).
    /// </summary>
    public static IReadOnlySet<int>? ArrivalsByDate(IReadOnlyList<Item?> catalog, DateTimeOffset now)
    {
        var cutoff = now.AddDays(-Item.NewForDays);
        bool Arrived(Item? item) => item?.CreatedAt is not { } at || at >= cutoff;
        // A catalog without dates (or only recent ones) says nothing: no set of all its items is built to learn that.
        if (catalog.All(Arrived)) return null;
        return Enumerable.Range(0, catalog.Count).Where(i => Arrived(catalog[i])).ToHashSet();
    }

    /// <summary>Structured side information plus title/description tokens.</summary>
    public ItemFeatures FeaturesWithText => _featuresWithText ??= ItemFeatures.FromCatalog(Catalog, includeText: true);

    public static TrainingData FromSplit(Split split, Dataset dataset, EventKindWeights? weights = null, PretrainedVectors? text = null) =>
        new(split.Train, dataset.Catalog, split.Validation, weights) { Text = text, NewArrivals = split.NewItems };
}
