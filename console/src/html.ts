/** Tagged-template markup for Preact (htm): no JSX compile step, plain TypeScript modules. */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
