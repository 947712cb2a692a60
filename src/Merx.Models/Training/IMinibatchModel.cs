using Merx.Core.Data;
using Merx.Core.Splits;

namespace Merx.Models.Training;

/// <summary>
/// The plain (centralized, non-private) training surface of a model trained by minibatch steps over
/// its users' training sequences: a fresh start, one optimizer step on a batch of examples, the
/// validation metric, and its parameters θ as one flat vector. How it is trained (epochs, shuffling
/// and batching, early stopping, keeping the best θ, the refit on validation items, the time budget,
/// progress) lives in <see cref="PlainTrainer"/>, not in the model. The Transformer implements it.
/// </summary>
internal interface IMinibatchModel
{
    /// <summary>
    /// Starts a run from scratch on <paramref name="train"/>: θ initialized from <paramref name="seed"/>, the
    /// items of <paramref name="train"/> count as trained, fresh optimizer state and step buffers (dropout
    /// streams seeded from <paramref name="seed"/>). Returns the examples a pass covers (the users with a
    /// next-item target, ascending), which the trainer shuffles and batches; throws when there is none.
    /// </summary>
    int[] Begin(UserSequences train, int seed);

    /// <summary>
    /// One forward/backward/optimizer step on <paramref name="examples"/> (at most the batch size, from
    /// <see cref="Begin"/>'s list); returns the summed loss and the count it was summed over (tokens). Allocates nothing.
    /// </summary>
    (double Loss, long Count) Step(ReadOnlySpan<int> examples);

    /// <summary>Mean NDCG@10 of the current θ on <paramref name="cases"/> (full ranking; brings the representations up to date first).</summary>
    double ValidationNdcg(IReadOnlyList<EvalCase> cases);

    /// <summary>θ (P): the trainer snapshots and restores the best parameters by copying it.</summary>
    Span<float> Parameters { get; }

    /// <summary>Recomputes what is derived from θ (the item representations) after the trainer wrote θ or a run ended.</summary>
    void Refresh();
}
