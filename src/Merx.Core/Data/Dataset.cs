using Merx.Core.Domain;

namespace Merx.Core.Data;

/// <summary>
/// Everything a model is trained from: the id maps, the catalog aligned with item indices (an
/// entry is null when events name an item the catalog does not describe), user profiles, and the
/// interned event log. Sequences and the interaction matrix are derived on first use.
/// </summary>
public sealed class Dataset
{
    private UserSequences? _sequences;

    public Dataset(IdMap users, IdMap items, IReadOnlyList<Item?> catalog, EventLog events, IReadOnlyList<UserProfile?>? profiles = null)
    {
        if (catalog.Count != items.Count) throw new ArgumentException("catalog must have one entry per item index", nameof(catalog));
        Users = users; Items = items; Catalog = catalog; Events = events;
        Profiles = profiles ?? new UserProfile?[users.Count];
    }

    public IdMap Users { get; }
    public IdMap Items { get; }
    public IReadOnlyList<Item?> Catalog { get; }
    public IReadOnlyList<UserProfile?> Profiles { get; }
    public EventLog Events { get; }

    public int UserCount => Users.Count;
    public int ItemCount => Items.Count;

    /// <summary>Per-user chronological item sequences (events with an item only).</summary>
    public UserSequences Sequences => _sequences ??= UserSequences.FromLog(Events, UserCount, ItemCount);

    /// <summary>The weighted user×item matrix.</summary>
    public SparseMatrix InteractionMatrix(EventKindWeights? weights = null) => SparseMatrix.FromSequences(Sequences, weights);
}
