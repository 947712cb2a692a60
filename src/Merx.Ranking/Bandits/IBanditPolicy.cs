namespace Merx.Ranking.Bandits;

/// <summary>
/// An explore/exploit policy used per request: given the user's context and the exploit model's
/// scored candidates it chooses a slate of K and says which slots explore; it learns from each
/// impression (reward 0) or click (reward 1). Implementations are thread-safe (one lock per
/// policy: a selection over 200 candidates and an update each take microseconds) and their whole
/// learned state, random generator included, round-trips through <see cref="SaveState"/>.
/// </summary>
public interface IBanditPolicy
{
    /// <summary>Stable name ("greedy", "egreedy", "ucb", "thompson", "thompson-seg", "linucb", "lints", "dynamic").</summary>
    string Name { get; }

    /// <summary>Chooses min(k, candidates) distinct candidates, best slot first.</summary>
    SlateDecision Select(BanditRequest request, ReadOnlySpan<BanditCandidate> candidates, int k);

    /// <summary>Learns from one shown item (clicked or not).</summary>
    void Update(BanditFeedback feedback);

    /// <summary>The learned state in the Merx envelope (magic, version, name, SHA-256), for the store.</summary>
    byte[] SaveState();

    /// <summary>Replaces the learned state with one written by <see cref="SaveState"/> of a policy of the same name and configuration.</summary>
    void LoadState(byte[] state);
}
