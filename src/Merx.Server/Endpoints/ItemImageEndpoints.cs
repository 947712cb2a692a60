using Merx.Encoders;
using Merx.Server.Http;
using Merx.Service.Catalog;
using Merx.Service.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Merx.Server.Endpoints;

/// <summary>An item's image (issue #19): upload the raw bytes (no URL is ever fetched), or remove it.</summary>
public static class ItemImageEndpoints
{
    /// <summary>The media types an upload may declare; the decoder checks the bytes themselves.</summary>
    public static readonly string[] MediaTypes = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"];

    public static RouteGroupBuilder MapItemImages(this RouteGroupBuilder api)
    {
        api.MapPut("/items/{id}/image", Put).WithName("PutItemImage")
            .WithSummary($"Set a catalog item's image: the raw bytes as the body (Content-Type {string.Join(", ", MediaTypes)}; at most {ImageDecoding.MaxBytes:N0} bytes). Checked at once (400 with the decoder's reason), embedded in the background.");
        api.MapDelete("/items/{id}/image", Delete).WithName("DeleteItemImage");
        return api;
    }

    /// <summary>Whether a request is an image upload (its body may be up to <see cref="ImageDecoding.MaxBytes"/>).</summary>
    public static bool IsUpload(HttpRequest request) =>
        HttpMethods.IsPut(request.Method) && request.Path.StartsWithSegments("/api/items") && request.Path.Value?.EndsWith("/image", StringComparison.Ordinal) == true;

    private static async Task<Results<Accepted<ImageAccepted>, ProblemHttpResult>> Put(string id, HttpRequest http, ItemImageVectors images, ModelHost host)
    {
        if (Validate.Id(id, "item id") is { } e) return Problems.Bad(e);
        var type = http.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (type is null || !MediaTypes.Contains(type))
            return Problems.Status(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", $"send the image's bytes with Content-Type one of {string.Join(", ", MediaTypes)} (got '{type ?? "none"}')");
        var (bytes, tooLarge) = await ReadBody(http);
        if (tooLarge) return TooLarge();
        var result = images.Upload(id, bytes!);
        return result.Status switch
        {
            ItemImageVectors.UploadStatus.Accepted => Accepted(id, result.Hash!, host),
            ItemImageVectors.UploadStatus.UnknownItem => Problems.NotFound(result.Reason!),
            ItemImageVectors.UploadStatus.TooLarge => TooLarge(),
            _ => Problems.Bad("the image was refused: " + result.Reason),
        };
    }

    private static Accepted<ImageAccepted> Accepted(string id, string hash, ModelHost host)
    {
        host.CatalogChanged();
        return TypedResults.Accepted((string?)null, new ImageAccepted(id, hash, ImageEncoder.ModelId));
    }

    private static ProblemHttpResult TooLarge() =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "image too large", $"at most {ImageDecoding.MaxBytes:N0} bytes per image");

    /// <summary>The body, at most <see cref="ImageDecoding.MaxBytes"/> bytes (more: too large, read no further).</summary>
    private static async Task<(byte[]? Bytes, bool TooLarge)> ReadBody(HttpRequest http)
    {
        if (http.ContentLength > ImageDecoding.MaxBytes) return (null, true);
        using var buffer = new MemoryStream(http.ContentLength is { } n ? (int)n : 64 << 10);
        var chunk = new byte[64 << 10];
        try
        {
            int read;
            while ((read = await http.Body.ReadAsync(chunk, http.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > ImageDecoding.MaxBytes) return (null, true);
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge) { return (null, true); }
        return (buffer.ToArray(), false);
    }

    private static Results<NoContent, ProblemHttpResult> Delete(string id, ItemImageVectors images, ModelHost host)
    {
        if (Validate.Id(id, "item id") is { } e) return Problems.Bad(e);
        if (!images.Remove(id)) return Problems.NotFound($"catalog item '{id}' has no image");
        host.CatalogChanged();
        return TypedResults.NoContent();
    }
}

/// <summary>An accepted image: its content hash (the key of its vector, computed in the background) and the encoder.</summary>
public sealed record ImageAccepted(string Item, string ImageHash, string Encoder);
