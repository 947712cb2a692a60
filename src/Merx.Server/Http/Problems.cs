using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Merx.Server.Http;

/// <summary>
/// RFC 9457 problem+json answers with a clear, human message and never a stack trace. Every one is a
/// <see cref="ProblemHttpResult"/>, so a handler's typed result names it once whatever the status.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult Bad(string detail) => Status(StatusCodes.Status400BadRequest, "invalid request", detail);
    public static ProblemHttpResult NotFound(string detail) => Status(StatusCodes.Status404NotFound, "not found", detail);
    public static ProblemHttpResult NotReady(string detail) => Status(StatusCodes.Status503ServiceUnavailable, "not ready", detail);

    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>A 400 with per-field errors ("events[3].kind": ["unknown event kind 'x'"]).</summary>
    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Detail = detail ?? $"{errors.Count} invalid field(s); nothing was written",
            Status = StatusCodes.Status400BadRequest,
            Title = "invalid request",
        });
}
