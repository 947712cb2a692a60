using Merx.Core.Data;

namespace Merx.Models.Federated;

/// <summary>
/// One federated client: a shard of users and only their training sequences. A client's local
/// update is computed from this object alone, so nothing of another client's users can reach it.
/// <see cref="Sequences"/> row r is global user <c>Users[r]</c>.
/// </summary>
public sealed class ClientShard
{
    public ClientShard(int id, int[] users, UserSequences sequences)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.UserCount != users.Length) throw new ArgumentException($"shard {id}: {users.Length} users but {sequences.UserCount} sequences");
        Id = id; Users = users; Sequences = sequences;
    }

    public int Id { get; }

    /// <summary>(m) global user indices of this client's users.</summary>
    public int[] Users { get; }

    /// <summary>(m rows) the users' training sequences, oldest first, same item indices as the catalog.</summary>
    public UserSequences Sequences { get; }

    /// <summary>Training interactions held by this client.</summary>
    public int Interactions => Sequences.EventCount;

    /// <summary>
    /// Splits the users who have at least one training item into <paramref name="clients"/> shards of
    /// near-equal size, uniformly at random (seeded): each user belongs to exactly one client.
    /// </summary>
    public static ClientShard[] Partition(UserSequences train, int clients, int seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        var users = Enumerable.Range(0, train.UserCount).Where(u => train.LengthOf(u) > 0).ToArray();
        if (clients < 1) throw new ArgumentOutOfRangeException(nameof(clients), clients, "the number of clients must be at least 1");
        if (clients > users.Length) throw new ArgumentException($"{clients} clients but only {users.Length} users with training data: every client needs at least one user");
        new Random(seed).Shuffle(users);
        var shards = new ClientShard[clients];
        for (var c = 0; c < clients; c++)
        {
            var mine = users.Where((_, k) => k % clients == c).Order().ToArray();
            var lists = mine.Select(u => (IReadOnlyList<int>)train.ItemsOf(u).ToArray()).ToArray();
            shards[c] = new ClientShard(c, mine, UserSequences.FromLists(lists, train.ItemCount));
        }
        return shards;
    }
}
