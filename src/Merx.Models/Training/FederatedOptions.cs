namespace Merx.Models.Training;

/// <summary>How the server turns the securely aggregated average update into the next global model.</summary>
public enum ServerOptimizer
{
    /// <summary>θ ← θ + η·Δ̄ (McMahan et al. 2017; η = 1 is plain FedAvg).</summary>
    FedAvg,
    /// <summary>Adam on the pseudo-gradient −Δ̄ with step size η (Reddi et al. 2021, "Adaptive Federated Optimization").</summary>
    FedAdam,
}

/// <summary>Settings of a simulated federated training run (clients are shards of users).</summary>
public sealed record FederatedOptions
{
    /// <summary>Most rounds; training also stops early on validation (<see cref="Patience"/>) or at <see cref="TimeBudget"/>.</summary>
    public int Rounds { get; init; } = 400;
    /// <summary>Number of clients the users are sharded into.</summary>
    public int Clients { get; init; } = 100;
    /// <summary>Fraction of the clients drawn (without replacement, seeded) to take part in each round.</summary>
    public double Fraction { get; init; } = 0.1;
    /// <summary>Local passes over a client's own data per round.</summary>
    public int LocalEpochs { get; init; } = 1;
    /// <summary>Local mini-batch size (sequences for the Transformer); null = the model's default.</summary>
    public int? LocalBatchSize { get; init; }
    /// <summary>Plain SGD locally (with <see cref="LocalLearningRate"/>) instead of the model's adaptive optimizer.</summary>
    public bool LocalSgd { get; init; }
    /// <summary>Local learning rate; null = the model's default.</summary>
    public float? LocalLearningRate { get; init; }
    /// <summary>
    /// Passes with which a client refits its own per-user state (BPR's user factors) against the
    /// current global model, shared side fixed: at the start of each of its rounds, and for every
    /// client at the end of training (purely local, nothing sent). 0 = off; ignored by models
    /// without per-user state.
    /// </summary>
    public int UserRefitEpochs { get; init; }
    /// <summary>
    /// Aggregate through secure aggregation (default). False averages the same updates in the clear
    /// (the same mean to 1e-6, without the per-round masking cost): for tuning runs only, and never
    /// with DP noise (which is added to the securely aggregated sum).
    /// </summary>
    public bool SecureAggregation { get; init; } = true;
    /// <summary>Fraction of each round's participants that drop out after key sharing, before sending their masked update (simulated).</summary>
    public double Dropout { get; init; } = 0.1;
    public ServerOptimizer Server { get; init; } = ServerOptimizer.FedAvg;
    /// <summary>Server step size η (see <see cref="ServerOptimizer"/>).</summary>
    public float ServerLearningRate { get; init; } = 1f;
    /// <summary>
    /// Gaussian noise multiplier σ for client-level DP on the aggregate (0 = off). When on, each
    /// client's update is clipped to L2 norm <see cref="DpClip"/>, clients are weighted equally, and
    /// N(0, (σ·clip)²) is added to every coordinate of the securely aggregated sum.
    /// </summary>
    public double DpNoise { get; init; }
    /// <summary>L2 clip of one client's update when <see cref="DpNoise"/> &gt; 0.</summary>
    public double DpClip { get; init; } = 1.0;
    /// <summary>Per-coordinate clamp of an update for the fixed-point encoding of secure aggregation.</summary>
    public double MaxAbsUpdate { get; init; } = 4.0;
    /// <summary>Rounds between validation checks (NDCG@10 on a seeded sample of validation users).</summary>
    public int EvalEvery { get; init; } = 5;
    /// <summary>Validation checks without improvement before stopping.</summary>
    public int Patience { get; init; } = 4;
    /// <summary>At most this many validation users per check.</summary>
    public int ValidationUsers { get; init; } = 3000;
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>After selecting the round count on validation, train again from scratch on training + validation items for that many rounds (as the centralized Transformer does).</summary>
    public bool RefitWithValidation { get; init; }
    public int Seed { get; init; } = 42;

    /// <summary>Clients drawn per round: round(Fraction·Clients), at least 3.</summary>
    public int Participants => Math.Max(3, (int)Math.Round(Fraction * Clients));

    /// <summary>Clients dropped per round: round(Dropout·Participants).</summary>
    public int DroppedPerRound => (int)Math.Round(Dropout * Participants);

    /// <summary>Secure aggregation threshold t: a strict majority of the round's participants.</summary>
    public int Threshold => Participants / 2 + 1;

    /// <summary>Throws <see cref="ArgumentException"/> with a message naming the option for every invalid value.</summary>
    public void Validate()
    {
        if (Rounds < 1) throw new ArgumentException($"--rounds must be at least 1 (got {Rounds})");
        if (Clients < 3) throw new ArgumentException($"--clients must be at least 3 (secure aggregation needs a majority of at least 2; got {Clients})");
        if (!(Fraction > 0 && Fraction <= 1)) throw new ArgumentException($"--fraction must be in (0, 1] (got {Fraction})");
        if (Participants > Clients) throw new ArgumentException($"--fraction {Fraction} of {Clients} clients gives fewer than the 3 participants a secure round needs; use more clients");
        if (Participants > 255) throw new ArgumentException($"{Participants} participants per round: at most 255 (Shamir shares over GF(256)); lower --fraction or --clients");
        if (LocalEpochs < 1) throw new ArgumentException($"--local-epochs must be at least 1 (got {LocalEpochs})");
        if (LocalBatchSize is < 1) throw new ArgumentException($"local batch size must be at least 1 (got {LocalBatchSize})");
        if (LocalLearningRate is { } lr && !(lr > 0)) throw new ArgumentException($"local learning rate must be positive (got {lr})");
        if (UserRefitEpochs < 0) throw new ArgumentException($"--mf-user-refit must be ≥ 0 (got {UserRefitEpochs})");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"--dropout must be in [0, 1) (got {Dropout})");
        if (Participants - DroppedPerRound < Threshold) throw new ArgumentException($"--dropout {Dropout} drops {DroppedPerRound} of {Participants} participants per round; secure aggregation needs {Threshold} survivors (a majority)");
        if (!(ServerLearningRate > 0)) throw new ArgumentException($"--server-lr must be positive (got {ServerLearningRate})");
        if (!(DpNoise >= 0) || double.IsInfinity(DpNoise)) throw new ArgumentException($"--dp-noise must be ≥ 0 (got {DpNoise})");
        if (DpNoise > 0 && !SecureAggregation) throw new ArgumentException("--plain-aggregation cannot be combined with --dp-noise: the noise is added to the securely aggregated sum");
        if (!(DpClip > 0) || double.IsInfinity(DpClip)) throw new ArgumentException($"--dp-clip must be positive (got {DpClip})");
        if (!(MaxAbsUpdate > 0)) throw new ArgumentException($"the update clamp must be positive (got {MaxAbsUpdate})");
        if (EvalEvery < 1 || Patience < 1) throw new ArgumentException("EvalEvery and Patience must be at least 1");
        if (TimeBudget is { } t && t <= TimeSpan.Zero) throw new ArgumentException("--time-budget must be positive");
    }
}
