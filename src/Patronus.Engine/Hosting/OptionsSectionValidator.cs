using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Patronus.Engine.Hosting;

/// <summary>
/// Validates options bound from one configuration section as a whole: every DataAnnotations
/// attribute (<c>[Range]</c>, <c>[Required]</c>), then the rules that span fields
/// (<see cref="ValidateRules"/>). Each failure names its key (<c>Health:Interval: The field
/// Interval must be between …</c>), so one text serves both places that run it: the host's
/// start-up check (<c>ValidateOnStart</c>) and <c>patronus serve</c>/<c>config check</c>, which
/// refuse a bad configuration before anything is written.
/// </summary>
/// <typeparam name="TOptions">The options class.</typeparam>
public abstract class OptionsSectionValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <param name="section">The configuration section the options are bound from.</param>
    /// <param name="subsections">Child sections that other options own (<c>Persistence</c> inside <c>Health</c>).</param>
    protected OptionsSectionValidator(string section, params string[] subsections)
    {
        Section = section;
        Subsections = subsections;
    }

    /// <summary>The configuration section the options are bound from, e.g. <c>Health</c>.</summary>
    public string Section { get; }

    /// <summary>Child sections that other options own: not unknown keys of this section.</summary>
    public IReadOnlyList<string> Subsections { get; }

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        var failures = results.Select(r => $"{Section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}").ToList();
        ValidateRules(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// Throws <see cref="OptionsValidationException"/> listing every failure when
    /// <paramref name="options"/> is invalid: for constructors that take options without the host's
    /// start-up check (tests, tools).
    /// </summary>
    internal void ThrowIfInvalid(TOptions options)
    {
        var result = Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures);
        }
    }

    /// <summary>Adds one failure, naming its key, per broken rule that spans fields. None by default.</summary>
    protected virtual void ValidateRules(TOptions options, ICollection<string> failures)
    {
    }
}
