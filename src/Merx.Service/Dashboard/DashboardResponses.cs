using Merx.Service.Privacy;

namespace Merx.Service.Dashboard;

/// <summary>The most recently active users (pseudonyms), for picking one in the live view.</summary>
public sealed record SuggestedUsers(IReadOnlyList<string> Users);

/// <summary>A user's latest events, newest first: <c>User</c> as asked for, <c>Pseudonym</c> as stored.</summary>
public sealed record UserEventsResponse(string User, string Pseudonym, IReadOnlyList<UserEventDto> Events);

/// <summary>One event of a user as the dashboard lists it; <c>Timestamp</c> in unix seconds, <c>At</c> the same instant.</summary>
public sealed record UserEventDto(string? Item, string Kind, long Timestamp, DateTimeOffset At, float Value, string? Title, string? Category, string? Query, string? Session);

/// <summary>The dashboard's status panel: experiments, privacy, and how this browser got the key.</summary>
public sealed record DashboardStatus(ExperimentsStatus Experiments, PrivacyStatus Privacy, string Auth);

/// <summary>How many experiments are defined, the running one, and feedback with and without a variant tag.</summary>
public sealed record ExperimentsStatus(int Defined, string? Running, long UntaggedFeedback, long TaggedFeedback);

/// <summary>
/// What the server promises about privacy: pseudonyms and their key, a key rotation in progress, the
/// k-anonymity gate, and the served models' differential privacy (<c>EpsilonSpent</c> only when every one is private).
/// </summary>
public sealed record PrivacyStatus(bool Pseudonymization, string PseudonymizationNote, string KeyFingerprint, KeyRotationStatus? KeyRotation,
    int KAnonymity, string SegmentsNote, bool DifferentialPrivacy, double? EpsilonSpent, string EpsilonNote,
    IReadOnlyList<ServedModelPrivacy> ServedModels, bool UserDeletion);

/// <summary>A lazy key rotation in progress (see <see cref="UserIds.Rekeying"/>).</summary>
public sealed record KeyRotationStatus(int OlderKeyVersions, long UsersRenamedByThisServer, string Note);

/// <summary>One served model and the differential privacy its published metrics record.</summary>
public sealed record ServedModelPrivacy(string Role, string Name, long Version, bool DifferentialPrivacy, double? Epsilon, double? Delta, string? Accountant, double? NoiseMultiplier);
