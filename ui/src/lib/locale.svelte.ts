// The current UI language as reactive state. Components read strings through
// `i18n.t(...)`, so switching the locale re-renders every UI string.
import { detectLocale, genderLabel, translate, type Locale, type MessageKey } from "./i18n";

export class I18n {
  locale: Locale = $state("en");

  constructor(initial: Locale) {
    this.locale = initial;
  }

  /** Starts from the webview's language, which follows the system locale. */
  static fromNavigator(): I18n {
    return new I18n(detectLocale(typeof navigator === "undefined" ? null : navigator.language));
  }

  t = (key: MessageKey, params?: Record<string, string | number>): string =>
    translate(this.locale, key, params);

  gender = (gender: string): string => genderLabel(this.locale, gender);

  toggle = (): void => {
    this.locale = this.locale === "zh-CN" ? "en" : "zh-CN";
  };
}
