import { render } from 'preact';
import { html } from './html';
import { App } from './views/app';

render(html`<${App} />`, document.getElementById('app')!);
