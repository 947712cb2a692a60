using Microsoft.AspNetCore.Http;

namespace Merx.Server.Http;

/// <summary>RFC 9457 problem+json answers with a clear, human message and never a stack trace.</summary>
public static class Problems
{
    public static IResult Bad(string detail) => Status(StatusCodes.Status400BadRequest, "invalid request", detail);
    public static IResult NotFound(string detail) => Status(StatusCodes.Status404NotFound, "not found", detail);
    public static IResult NotReady(string detail) => Status(StatusCodes.Status503ServiceUnavailable, "not ready", detail);

    public static IResult Status(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);

    /// <summary>A 400 with per-field errors ("events[3].kind": ["unknown event kind 'x'"]).</summary>
    public static IResult Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        Results.ValidationProblem(errors, detail: detail ?? $"{errors.Count} invalid field(s); nothing was written", title: "invalid request");
}
