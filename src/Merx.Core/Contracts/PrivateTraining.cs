namespace Merx.Core.Contracts;

/// <summary>Which privacy accountant plans the noise of a DP-SGD run and reports its ε.</summary>
public enum DpAccountant
{
    /// <summary>
    /// Privacy loss distributions composed by FFT (Merx.Privacy's PldAccountant): a tight upper bound, so
    /// the same (ε, δ) needs about 6–8 % less noise than RDP at q = 0.1, 200 steps. The default.
    /// </summary>
    Pld,
    /// <summary>Rényi DP with the improved conversion to (ε, δ) (RdpAccountant): looser, cheaper, the pre-PLD default.</summary>
    Rdp,
}

/// <summary>
/// Asks a model to train with user-level DP-SGD (Poisson sampling of users, per-user clipping,
/// Gaussian noise, a privacy accountant) so that the released model satisfies (ε, δ)-DP with
/// respect to adding or removing one user's whole history. Unset settings take the model's defaults.
/// </summary>
public sealed record DpTrainingOptions
{
    /// <summary>The ε the run may spend at most (&gt; 0). The noise is calibrated so the planned run ends at it.</summary>
    public required double TargetEpsilon { get; init; }

    /// <summary>δ in (0, 1); null = 1 / number of training users.</summary>
    public double? Delta { get; init; }

    /// <summary>Per-user L2 bound C on the gradient (&gt; 0); null = the model's default.</summary>
    public float? ClipNorm { get; init; }

    /// <summary>Poisson sampling rate q of users per step, in (0, 1]; null = the model's default (from the number of users).</summary>
    public double? SamplingRate { get; init; }

    /// <summary>Planned passes over the users (steps = epochs / q); null = the model's default. A time budget may shorten the plan.</summary>
    public double? Epochs { get; init; }

    /// <summary>Optimizer learning rate of the private run (&gt; 0); null = the model's private default.</summary>
    public float? LearningRate { get; init; }

    /// <summary>
    /// Share of the target ε (in [0, 1)) spent on choosing, by a Gaussian release of item counts, which
    /// items keep their own id embedding; the others are represented by their side information only.
    /// null = the model's default; 0 = every item keeps its id. Models without side information ignore it.
    /// </summary>
    public double? VocabularyShare { get; init; }

    /// <summary>The accountant that calibrates σ and tracks ε (default <see cref="DpAccountant.Pld"/>); the other one's ε is reported beside it.</summary>
    public DpAccountant Accountant { get; init; } = DpAccountant.Pld;

    /// <summary>
    /// Draw sampling and noise from a generator seeded by <see cref="FitOptions.Seed"/> (reproducible
    /// benchmarks) instead of the OS CSPRNG. The guarantee assumes unpredictable noise: keep this
    /// off for anything released.
    /// </summary>
    public bool SeededNoise { get; init; }

    /// <summary>
    /// The one rule set for DP-SGD settings (the CLI, the service and every trainer call this): throws
    /// <see cref="ArgumentException"/> with a clear message for any value out of range. <paramref name="name"/>
    /// maps a property name (nameof) to how the caller's user knows it, e.g. "--dp-delta"; null: "DP delta".
    /// </summary>
    public void Validate(Func<string, string>? name = null)
    {
        string N(string property) => name?.Invoke(property) ?? property switch
        {
            nameof(TargetEpsilon) => "DP target epsilon", nameof(Delta) => "DP delta", nameof(ClipNorm) => "DP clipping norm",
            nameof(SamplingRate) => "DP sampling rate", nameof(LearningRate) => "DP learning rate", nameof(Epochs) => "DP epochs",
            nameof(VocabularyShare) => "DP vocabulary share", _ => "DP accountant",
        };
        if (!double.IsFinite(TargetEpsilon) || TargetEpsilon <= 0) throw new ArgumentException($"{N(nameof(TargetEpsilon))} must be a finite number > 0 (got {TargetEpsilon})");
        if (Delta is { } d && !(d > 0 && d < 1)) throw new ArgumentException($"{N(nameof(Delta))} must be in (0, 1) (got {d})");
        if (ClipNorm is { } c && !(float.IsFinite(c) && c > 0)) throw new ArgumentException($"{N(nameof(ClipNorm))} must be a finite number > 0 (got {c})");
        if (SamplingRate is { } q && !(q > 0 && q <= 1)) throw new ArgumentException($"{N(nameof(SamplingRate))} must be in (0, 1] (got {q})");
        if (Epochs is { } e && !(double.IsFinite(e) && e > 0)) throw new ArgumentException($"{N(nameof(Epochs))} must be a finite number > 0 (got {e})");
        if (LearningRate is { } lr && !(float.IsFinite(lr) && lr > 0)) throw new ArgumentException($"{N(nameof(LearningRate))} must be a finite number > 0 (got {lr})");
        if (VocabularyShare is { } v && !(v >= 0 && v < 1)) throw new ArgumentException($"{N(nameof(VocabularyShare))} must be in [0, 1) (got {v})");
        if (!Enum.IsDefined(Accountant)) throw new ArgumentException($"{N(nameof(Accountant))} must be pld or rdp (got {Accountant})");
    }
}

/// <summary>What a privately trained model spent and how: the (ε, δ) to report, and the mechanism's settings.</summary>
/// <param name="Epsilon">ε spent at <paramref name="Delta"/>, by the run's accountant (<see cref="PrivacySpent.Accountant"/>).</param>
/// <param name="Delta">δ of the guarantee.</param>
/// <param name="NoiseMultiplier">σ: noise std per coordinate / clipping norm.</param>
/// <param name="SamplingRate">q: probability that a user is in a step.</param>
/// <param name="ClipNorm">C: per-user L2 bound.</param>
/// <param name="Steps">Noisy steps taken (each charged to the accountant).</param>
/// <param name="PlannedSteps">Steps σ was calibrated for (ε reaches the target after this many).</param>
/// <param name="TargetEpsilon">The ε asked for.</param>
public sealed record PrivacySpent(double Epsilon, double Delta, double NoiseMultiplier, double SamplingRate, float ClipNorm, long Steps, long PlannedSteps, double TargetEpsilon)
{
    /// <summary>Noise multiplier of the Gaussian release of item counts that chose the id vocabulary (composed into ε); null = none.</summary>
    public double? VocabularyNoiseMultiplier { get; init; }
    /// <summary>Items that kept their own id embedding after that release; null = none was made.</summary>
    public int? VocabularySize { get; init; }
    /// <summary>The accountant that planned σ and gave <see cref="Epsilon"/>.</summary>
    public DpAccountant Accountant { get; init; } = DpAccountant.Rdp;
    /// <summary>ε of the same run by the RDP accountant (for comparison; equals Epsilon when it is the run's); null = not computed.</summary>
    public double? EpsilonRdp { get; init; }
    /// <summary>ε of the same run by the PLD accountant (for comparison; equals Epsilon when it is the run's); null = not computable (a grid too large for the run).</summary>
    public double? EpsilonPld { get; init; }
}

/// <summary>A model that can train under <see cref="FitOptions.Privacy"/> and report what it spent.</summary>
public interface IPrivatelyTrainable
{
    /// <summary>The privacy spent by the last fit; null when it was not private.</summary>
    PrivacySpent? PrivacySpent { get; }
}
