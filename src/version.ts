/** netc's version, as package.json states it (a test keeps them equal). */
export const VERSION = "0.1.0";
