namespace Merx.Core.Contracts;

/// <summary>Run settings shared by every model's Fit: seed, time budget, progress and cancellation.</summary>
public sealed record FitOptions
{
    public int Seed { get; init; } = 42;
    /// <summary>Wall-clock cap on training; iterative models stop at the best validation point reached.</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>
    /// At most this many epochs (null: the model's own maximum). With no <see cref="TimeBudget"/> the model
    /// trained does not depend on the machine's load: tests fix it this way. Honoured by the Transformer's plain training.
    /// </summary>
    public int? MaxEpochs { get; init; }
    /// <summary>Receives human-readable progress lines (epoch, loss, throughput, ETA).</summary>
    public IProgress<string>? Progress { get; init; }
    public CancellationToken Cancellation { get; init; }
    /// <summary>Train with user-level DP-SGD (models implementing <see cref="IPrivatelyTrainable"/> only); null = not private.</summary>
    public DpTrainingOptions? Privacy { get; init; }

    public static FitOptions Default { get; } = new();
}
