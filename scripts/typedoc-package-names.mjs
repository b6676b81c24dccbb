// @ts-check
/**
 * A TypeDoc plugin for `pnpm docs:api` (typedoc.json). The reference is
 * built from one program over every package's src/index.ts, which takes a
 * fraction of the time of one program per package; TypeDoc then names each
 * module by its folder (`core/src`). This names it as users import it
 * (`@krbsim/core`).
 */
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const folder = /^([a-z0-9-]+)\/src$/.exec(mod.name);
      if (folder !== null) mod.name = `@krbsim/${folder[1]}`;
    }
  });
}
