using Merx.Core.Data;

namespace Merx.Core.Splits;

/// <summary>
/// A train/validation/test split. Models train on <see cref="Train"/>, select hyper-parameters
/// and early-stop on <see cref="Validation"/> only, and are reported on <see cref="Test"/>.
/// </summary>
public sealed record Split(string Protocol, UserSequences Train, IReadOnlyList<EvalCase> Validation, IReadOnlyList<EvalCase> Test);
