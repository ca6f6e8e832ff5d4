/**
 * A bad option, thrown by `createMfaClient`, `createMfaServer` and `createMfaHandler` alike when
 * an option is missing, of the wrong type or out of range. `option` names it as it is written in
 * the options (`retry.windowMs`, `totp.digits`, `issuer`). A `TypeError`, so `instanceof TypeError`
 * holds too. Where two copies of the package meet (its ESM and CJS builds), compare `name`:
 * `"MfaOptionError"` (the class stays small, for browser bundles).
 */
export class MfaOptionError extends TypeError {
  /** The option at fault, dotted: `"retry.windowMs"`. */
  declare readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.name = "MfaOptionError";
    this.option = option;
  }
}
