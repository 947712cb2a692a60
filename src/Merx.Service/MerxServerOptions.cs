namespace Merx.Service;

/// <summary>
/// Settings of the Merx server, bound from configuration the ASP.NET Core way (section <c>Merx</c>):
/// <c>appsettings.json</c> (and <c>appsettings.{Environment}.json</c>) in the working folder, then
/// environment variables (<c>MERX__HISTORYCACHEUSERS=50000</c>), then <c>merx serve</c>'s flags; see
/// <c>Merx.Server.MerxConfiguration</c> and the README's settings table. Secrets also come from their
/// usual variables (<c>MERX_API_KEY</c>; the pseudonymization keys from <c>--pseudonym-key-file</c>,
/// <c>MERX_PSEUDONYM_KEY</c> and <c>MERX_PSEUDONYM_OLD_KEYS</c>, see <see cref="Privacy.PseudonymKeys"/>).
/// Other hosts (tests, <c>merx demo</c>) may set them in code. <see cref="Problems"/> is checked at start
/// (<c>MerxApp.AddMerx</c>): a server with an invalid setting refuses to start, naming every bad one.
/// </summary>
public sealed class MerxServerOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Merx";

    /// <summary>Settings that are secrets: shown masked by <c>merx serve --print-config</c>.</summary>
    public static readonly IReadOnlySet<string> Secrets = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { nameof(ApiKey), nameof(ApiKeys), nameof(PseudonymKey), nameof(PseudonymOldKeys) };

    /// <summary>Every invalid setting, as "Name: why" (empty when all are valid). The API key is checked by the host, which may generate one.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        void Check(bool ok, string name, string why) { if (!ok) p.Add($"{name}: {why}"); }
        Check(!string.IsNullOrWhiteSpace(Db), nameof(Db), "a store is required");
        Check(!string.IsNullOrWhiteSpace(PrimaryModel), nameof(PrimaryModel), "must name a model");
        Check(!string.IsNullOrWhiteSpace(NeighborModel), nameof(NeighborModel), "must name a model");
        Check(!string.IsNullOrWhiteSpace(TrendingModel), nameof(TrendingModel), "must name a model");
        Check(ModelPollInterval > TimeSpan.Zero, nameof(ModelPollInterval), "must be positive");
        Check(MaxBatch >= 1, nameof(MaxBatch), "must be at least 1");
        Check(MaxBodyBytes >= 1024, nameof(MaxBodyBytes), "must be at least 1024");
        Check(RateLimitPerSecond >= 1, nameof(RateLimitPerSecond), "must be at least 1");
        Check(OverloadInFlight >= 1, nameof(OverloadInFlight), "must be at least 1");
        Check(MaxInFlight >= 0, nameof(MaxInFlight), "must be 0 (no limit) or more");
        Check(SqliteReadConnections is >= 0 and <= 256, nameof(SqliteReadConnections), "must be in 0 … 256");
        Check(DefaultBudgetMs is null or > 0 and < double.PositiveInfinity, nameof(DefaultBudgetMs), "must be a positive number of milliseconds");
        Check(HistoryCacheUsers >= 0, nameof(HistoryCacheUsers), "must be 0 or more");
        Check(HistoryCacheRefreshMs >= 0, nameof(HistoryCacheRefreshMs), "must be 0 or more");
        Check(IndexMinItems >= 1, nameof(IndexMinItems), "must be at least 1");
        Check(ItemIndex is "hnsw" or "hnsw-i8" or "int8-scan" or "ivf", nameof(ItemIndex), "must be hnsw, hnsw-i8, int8-scan or ivf");
        Check(ModelPrecision is "float32" or "int8", nameof(ModelPrecision), "must be float32 or int8");
        Check(IndexBuildSeconds > 0 && double.IsFinite(IndexBuildSeconds), nameof(IndexBuildSeconds), "must be a positive number of seconds");
        Check(IvfProbes >= 1, nameof(IvfProbes), "must be at least 1");
        Check(IndexHeadItems is null or >= 0, nameof(IndexHeadItems), "must be 0 or more");
        Check(IndexHeadTolerance is >= 0 and < 1, nameof(IndexHeadTolerance), "must be a share in [0, 1)");
        Check(IndexSearchWidth is null or >= 1, nameof(IndexSearchWidth), "must be at least 1");
        Check(MaxN >= 1, nameof(MaxN), "must be at least 1");
        Check(TrainEvery is null || TrainEvery > TimeSpan.Zero, nameof(TrainEvery), "must be positive");
        Check(!string.IsNullOrWhiteSpace(TrainModels), nameof(TrainModels), "must name at least one model");
        Check(TrainBudgetMinutes > 0 && double.IsFinite(TrainBudgetMinutes), nameof(TrainBudgetMinutes), "must be a positive number of minutes");
        Check(KAnonymity >= 1, nameof(KAnonymity), "must be at least 1");
        Check(SurgeWindowSeconds >= 1, nameof(SurgeWindowSeconds), "must be at least 1");
        Check(SurgeMinNewAccounts >= 1, nameof(SurgeMinNewAccounts), "must be at least 1");
        Check(SurgeSoloFactor == 0 || (SurgeSoloFactor >= 1 && double.IsFinite(SurgeSoloFactor)), nameof(SurgeSoloFactor), "must be 0 (off) or a number ≥ 1");
        Check(SurgePrimeUsers >= 0, nameof(SurgePrimeUsers), "must be 0 or more");
        Check(SizeNoiseEpsilon is null or > 0 and < double.PositiveInfinity, nameof(SizeNoiseEpsilon), "must be a finite number > 0");
        Check(PropensityDraws is >= 0 and <= 1_000_000, nameof(PropensityDraws), "must be in 0 … 1,000,000");
        Check(PropensitySample is > 0 and <= 1, nameof(PropensitySample), "must be in (0, 1]");
        if (Policy != "discovery")
            try { Merx.Ranking.Bandits.BanditPolicies.Create(Policy); }
            catch (Exception e) when (e is ArgumentException or FormatException) { p.Add($"{nameof(Policy)}: {e.Message}"); }
        return p;
    }

    /// <summary>The SQLite store file.</summary>
    public string Db { get; set; } = "merx.db";
    /// <summary>An admin key (every route) for <c>X-Api-Key</c>; from MERX_API_KEY when not set. Writes, and reads off loopback, need a key: this one or one of <see cref="ApiKeys"/> and <see cref="ApiKeysFile"/> (see <see cref="Security.ApiKeyRing"/>).</summary>
    public string? ApiKey { get; set; }
    /// <summary>Scoped keys <c>scope:key,scope:key…</c> (scopes read, write, admin); from MERX_API_KEYS when not set.</summary>
    public string? ApiKeys { get; set; }
    /// <summary>A file of scoped keys, one <c>scope key</c> per line, read again when it changes (rotation without a restart).</summary>
    public string? ApiKeysFile { get; set; }
    /// <summary>The large model to serve; when none with this name is published, the newest model of any name that scores from a history is used.</summary>
    public string PrimaryModel { get; set; } = "sasrec";
    /// <summary>Published model that supplies item-to-item neighbours ("because you viewed …", similar items).</summary>
    public string NeighborModel { get; set; } = "itemknn";
    /// <summary>Published popularity model for trending and cold start ("trending", else "pop").</summary>
    public string TrendingModel { get; set; } = "trending";
    /// <summary>How often the store is checked for newly published model versions (hot swap).</summary>
    public TimeSpan ModelPollInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Most events (or items, or feedback entries) in one request.</summary>
    public int MaxBatch { get; set; } = 10_000;
    /// <summary>Largest accepted request body.</summary>
    public long MaxBodyBytes { get; set; } = 8 << 20;
    /// <summary>
    /// Reverse proxies whose X-Forwarded-For names the real client, comma-separated addresses or CIDR
    /// networks (<c>127.0.0.1</c>, <c>10.0.0.0/8</c>); null: none. A request with a forwarding header from
    /// any other peer is treated as remote, and a forwarded request never gets the key in the dashboard page.
    /// </summary>
    public string? TrustedProxies { get; set; }
    /// <summary>Requests per second per client (API key or address); excess gets 429.</summary>
    public int RateLimitPerSecond { get; set; } = 10_000;
    /// <summary>
    /// /api requests in flight above which new ones are shed at once with 503 and <c>Retry-After</c> instead
    /// of queueing (0: no limit); health and metrics are never shed. The default keeps the p99 of admitted
    /// requests near the unloaded p99 at 3× the maximum offered rate: 8 per core (16 on 2 cores, where 16
    /// connections already reach the maximum throughput; bench/results/trust.md).
    /// </summary>
    public int MaxInFlight { get; set; } = 8 * Environment.ProcessorCount;
    /// <summary>When the store acknowledges a write: <see cref="Storage.Durability.Full"/> (survives a power cut, the default) or <see cref="Storage.Durability.Normal"/> (survives a process crash).</summary>
    public Merx.Storage.Durability Durability { get; set; } = Merx.Storage.Durability.Full;
    /// <summary>SQLite only: read connections beside the writing one for a user's recent events and linked users on a cache miss (0: every read waits for the writing connection's lock).</summary>
    public int SqliteReadConnections { get; set; } = 2 * Environment.ProcessorCount;
    /// <summary>Requests in flight above which recommendations take the fast path.</summary>
    public int OverloadInFlight { get; set; } = 32;
    /// <summary>Latency budget of a recommendation request that names none (null: no deadline).</summary>
    public double? DefaultBudgetMs { get; set; }
    /// <summary>Users whose latest events are kept in memory for recommendations (0: read the store every time). See <see cref="Serving.HistoryCache"/>.</summary>
    public int HistoryCacheUsers { get; set; } = 100_000;
    /// <summary>How often (ms) the history cache checks the store for events written by someone else (another process or replica).</summary>
    public long HistoryCacheRefreshMs { get; set; } = 1000;
    /// <summary>Models with at least this many items retrieve the large model's candidates through an item index (<see cref="ItemIndex"/>) instead of a full pass.</summary>
    public int IndexMinItems { get; set; } = 50_000;
    /// <summary>The item index for large catalogs: "hnsw" (USearch HNSW, f16 vectors, inner product), "hnsw-i8" (int8 vectors lifted to cosine), "int8-scan" or "ivf"; measured in bench/results/index.md.</summary>
    public string ItemIndex { get; set; } = "hnsw";
    /// <summary>Seconds an HNSW build may take before the int8 scan (built in seconds) is used instead.</summary>
    public double IndexBuildSeconds { get; set; } = 600;
    /// <summary>Items of largest norm an HNSW search scans in full beside its graph (null: 16,384 or the whole smaller catalog; 0: the graph alone). See <see cref="Ranking.Retrieval.HnswOptions.HeadItems"/>.</summary>
    public int? IndexHeadItems { get; set; }
    /// <summary>The share of its answers the HNSW head may miss, as audited against the graph, to answer without its proof (0: only with the proof). See <see cref="Ranking.Retrieval.HnswOptions.HeadTolerance"/>.</summary>
    public double IndexHeadTolerance { get; set; } = Ranking.Retrieval.HnswOptions.DefaultHeadTolerance;
    /// <summary>The HNSW search width (null: by catalog size, <see cref="Ranking.Retrieval.HnswOptions.ExpansionSearchFor"/>); measure your model's recall at each width with <c>merx index-bench --graph</c> first.</summary>
    public int? IndexSearchWidth { get; set; }
    /// <summary>Where HNSW graphs are kept per model version (null: beside the SQLite file, "&lt;db&gt;.indexes"; none for a server URL).</summary>
    public string? IndexDirectory { get; set; }
    /// <summary>
    /// Weights the large model serves from: "float32" (as trained) or "int8" (its int8 inference copy,
    /// quantized at load: dense layers and item vectors in int8 with per-row scales; accuracy and size in
    /// bench/results/int8-transformer.md).
    /// </summary>
    public string ModelPrecision { get; set; } = "float32";
    /// <summary>Clusters scanned per request by the inverted-file index.</summary>
    public int IvfProbes { get; set; } = 32;
    /// <summary>
    /// Explore/exploit policy: "discovery" (simple, fixed share) or a learning bandit policy ("dynamic",
    /// "thompson", "linucb", …, optionally "name:parameter", and "name@B" to cap any policy's exploration).
    /// The default, the Dynamic meta-policy with budget 0.1, explores at most 10 % of established users'
    /// slots over any window (new users up to half of theirs).
    /// </summary>
    public string Policy { get; set; } = "dynamic:0.1";
    /// <summary>
    /// Redraw cap for the served slots' propensities of the policies without a closed form (Thompson
    /// sampling, linear TS, Dynamic), so their served lists can be evaluated off-policy (<c>merx ope</c>):
    /// the slate's distribution is frozen at the request and, in the serving log's queue after the answer has
    /// gone, redrawn until each served pick reappears at its slot, at most this many draws; μ̂ = 1/N is logged
    /// (N = draws to the hit: E[N] = 1/μ). 0 (the default) logs none. Off the request path but not free: about
    /// 1/μ of the rarest pick draws per list, ~10–40 µs each (Dynamic ≈ 0.9 ms of CPU per list at the median,
    /// Thompson ≈ 49 ms; bench/results/bandits.md, "Propensities by geometric redraws"), so a shop sets it
    /// (e.g. 10,000) while it collects logs for evaluation. (Until this version the redraws ran on the request
    /// path: 32 of them took a Dynamic request at 100k items from 1.5 to 9.4 ms of CPU, bench/results/scaleout.md.)
    /// </summary>
    public int PropensityDraws { get; set; }
    /// <summary>
    /// With <see cref="PropensityDraws"/> &gt; 0: the share of requests, drawn at random, whose slates are frozen and
    /// redrawn (the others are logged without propensities, which <c>merx ope</c> counts and leaves out: a random
    /// subset keeps its estimates unbiased). 1 (the default) redraws every list; 0.1 costs a tenth of the CPU and
    /// gives a tenth of the logged lists (bench/results/policy-cost.md).
    /// </summary>
    public double PropensitySample { get; set; } = 1;
    /// <summary>Most n a recommendation request may ask for.</summary>
    public int MaxN { get; set; } = 200;
    /// <summary>Retrain and publish on this schedule (null: only on request).</summary>
    public TimeSpan? TrainEvery { get; set; }
    /// <summary>Models a scheduled or requested training run fits by default.</summary>
    public string TrainModels { get; set; } = "trending,itemknn,sasrec";
    /// <summary>Minutes of training per model at most.</summary>
    public double TrainBudgetMinutes { get; set; } = 10;
    /// <summary>The pseudonymization key as text (<c>[v{N}:]secret</c>); usually left unset in favour of MERX_PSEUDONYM_KEY or <see cref="PseudonymKeyFile"/>.</summary>
    public string? PseudonymKey { get; set; }
    /// <summary>A file holding the pseudonymization key (mode 0600).</summary>
    public string? PseudonymKeyFile { get; set; }
    /// <summary>Older keys of a key rotation in progress, comma-separated <c>v{N}:secret</c>; usually left unset in favour of MERX_PSEUDONYM_OLD_KEYS.</summary>
    public string? PseudonymOldKeys { get; set; }
    /// <summary>
    /// True when the server listens on loopback addresses only: then, without a configured key, the
    /// development key file beside the store (<c>&lt;db&gt;.pseudonym.key</c>) may be used.
    /// </summary>
    public bool LoopbackOnly { get; set; } = true;
    /// <summary>Per-segment figures (audiences, users by attribute) describing fewer distinct users than this are withheld.</summary>
    public int KAnonymity { get; set; } = Merx.Privacy.Anonymity.KAnonymity.DefaultK;
    /// <summary>When set, released audience and segment sizes carry Laplace noise with this ε per release (sensitivity 1: one user changes a count by 1).</summary>
    public double? SizeNoiseEpsilon { get; set; }
    /// <summary>Seconds of ingested events the push-attack signal watches (<see cref="Trust.IngestSignals"/>).</summary>
    public long SurgeWindowSeconds { get; set; } = 3600;
    /// <summary>New accounts an item needs in the window before the signal may flag it.</summary>
    public int SurgeMinNewAccounts { get; set; } = 10;
    /// <summary>A one-item push (no co-pushed partner) is flagged with this many times <see cref="SurgeMinNewAccounts"/> new accounts, half of them in a burst; 0 = off.</summary>
    public double SurgeSoloFactor { get; set; } = 3;
    /// <summary>Most recently active users loaded at start as established accounts (users beyond them count as new when they come back).</summary>
    public int SurgePrimeUsers { get; set; } = 200_000;

    /// <summary>The push-attack signal's settings (the rest at <see cref="SurgeOptions"/>' measured defaults).</summary>
    public Merx.Core.Trust.SurgeOptions SurgeOptions() => new() { WindowSeconds = SurgeWindowSeconds, MinNewAccounts = SurgeMinNewAccounts, SoloFactor = SurgeSoloFactor };
}
